"""restyling"""
